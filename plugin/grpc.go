package plugin

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime/debug"
	"slices"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
	"golang.org/x/oauth2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/tokenplug/tokenplug/internal/wire"
	pb "github.com/tokenplug/tokenplug/plugin/proto"
)

// The host reaches a plugin through internal/wire's go-plugin glue, which
// asks this package for the host's view of a connection: client.
func init() { wire.NewClient = newClient }

// recoverStatus turns a provider panic into an Internal status, so one bad
// request does not take the plugin process down with it.
func recoverStatus(err *error) {
	if r := recover(); r != nil {
		logger.Error("provider panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		*err = status.Errorf(codes.Internal, "provider panicked: %v", r)
	}
}

// client is the host's view of a running plugin (internal/launch.Conn). Its
// methods return the same types and classified errors a provider returns
// in-process. It is safe for concurrent use. Hosts get one from go-plugin's
// Dispense.
type client struct {
	rpc    pb.ProviderClient
	health healthpb.HealthClient
}

// newClient returns the host's view of the plugin behind conn.
func newClient(conn *grpc.ClientConn) any {
	return &client{rpc: pb.NewProviderClient(conn), health: healthpb.NewHealthClient(conn)}
}

// Ping asks the plugin's gRPC health service whether it is serving. Unlike
// go-plugin's Ping it honours ctx, so a plugin that stopped answering (hung,
// or stopped by a signal) is detected within the caller's deadline.
func (c *client) Ping(ctx context.Context) error {
	resp, err := c.health.Check(ctx, &healthpb.HealthCheckRequest{Service: goplugin.GRPCServiceName})
	if err != nil {
		return err
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("plugin health: %v", resp.GetStatus())
	}
	return nil
}

// Describe asks the plugin for its description.
func (c *client) Describe(ctx context.Context) (Description, error) {
	d, _, err := c.DescribeInstances(ctx)
	return d, err
}

// DescribeInstances asks the plugin for its description and whether it
// serves many instances in one process (multi_instance).
func (c *client) DescribeInstances(ctx context.Context) (Description, bool, error) {
	resp, err := c.rpc.Describe(ctx, &pb.DescribeRequest{})
	if err != nil {
		return Description{}, false, fromStatus(err)
	}
	return describeFromProto(resp), resp.GetMultiInstance(), nil
}

// Configure configures the plugin's default instance; field problems come
// back as SettingErrors.
func (c *client) Configure(ctx context.Context, settings map[string]string) error {
	_, _, err := c.ConfigureInstance(ctx, settings, false)
	return err
}

// NewInstance creates a provider instance with settings in a
// multi_instance plugin and returns its id.
func (c *client) NewInstance(ctx context.Context, settings map[string]string) (string, error) {
	id, _, err := c.ConfigureInstance(ctx, settings, true)
	return id, err
}

// ConfigureInstance is NewInstance when newInstance is set, else
// Configure, and also returns the default hosts the plugin gives for the
// configuration (nil: its Description's).
func (c *client) ConfigureInstance(ctx context.Context, settings map[string]string, newInstance bool) (string, []string, error) {
	resp, err := c.rpc.Configure(ctx, &pb.ConfigureRequest{Settings: settings, NewInstance: newInstance})
	if err != nil {
		return "", nil, fromStatus(err)
	}
	if len(resp.GetErrors()) > 0 {
		se := make(SettingErrors, 0, len(resp.GetErrors()))
		for _, e := range resp.GetErrors() {
			se = append(se, SettingError{Key: e.GetKey(), Message: e.GetMessage()})
		}
		return "", nil, se
	}
	if newInstance && resp.GetInstance() == "" {
		return "", nil, Temporary(errors.New("tokenplug/plugin: the plugin created no instance"))
	}
	return resp.GetInstance(), slices.Clone(resp.GetDefaultHosts()), nil
}

// Token fetches a new token for the default instance. forceRefresh tells
// the plugin the previous token was rejected by a server.
func (c *client) Token(ctx context.Context, forceRefresh bool) (*oauth2.Token, error) {
	return c.InstanceToken(ctx, "", forceRefresh)
}

// InstanceToken fetches a new token for instance ("": the default one).
func (c *client) InstanceToken(ctx context.Context, instance string, forceRefresh bool) (*oauth2.Token, error) {
	resp, err := c.rpc.Token(ctx, &pb.TokenRequest{ForceRefresh: forceRefresh, Instance: instance})
	if err != nil {
		return nil, fromStatus(err)
	}
	return tokenFromProto(resp)
}

// ChallengeToken fetches a token for instance ("": the default one)
// answering a server's challenge. Call it only on a plugin whose
// Description has AnswersChallenges: an older plugin would ignore the
// challenge and return its default token. An instance that cannot answer
// challenges returns an error wrapping ErrChallengeUnsupported.
func (c *client) ChallengeToken(ctx context.Context, instance string, ch Challenge) (*oauth2.Token, error) {
	resp, err := c.rpc.Token(ctx, &pb.TokenRequest{Instance: instance, Challenge: challengeToProto(ch)})
	if status.Code(err) == codes.Unimplemented {
		return nil, Permanent(fmt.Errorf("%w: %s", ErrChallengeUnsupported, status.Convert(err).Message()))
	}
	if err != nil {
		return nil, fromStatus(err)
	}
	return tokenFromProto(resp)
}

// Release drops instance from a multi_instance plugin.
func (c *client) Release(ctx context.Context, instance string) error {
	if _, err := c.rpc.Release(ctx, &pb.ReleaseRequest{Instance: instance}); err != nil {
		return fromStatus(err)
	}
	return nil
}

func describeToProto(d Description) *pb.DescribeResponse {
	out := &pb.DescribeResponse{Name: d.Name, Version: d.Version, DefaultHosts: slices.Clone(d.DefaultHosts), AnswersChallenges: d.AnswersChallenges}
	for _, s := range d.Settings {
		out.Settings = append(out.Settings, &pb.Setting{Key: s.Key, Description: s.Description, Required: s.Required, Secret: s.Secret, Default: s.Default})
	}
	return out
}

func describeFromProto(r *pb.DescribeResponse) Description {
	d := Description{Name: r.GetName(), Version: r.GetVersion(), DefaultHosts: slices.Clone(r.GetDefaultHosts()), AnswersChallenges: r.GetAnswersChallenges()}
	for _, s := range r.GetSettings() {
		d.Settings = append(d.Settings, Setting{Key: s.GetKey(), Description: s.GetDescription(), Required: s.GetRequired(), Secret: s.GetSecret(), Default: s.GetDefault()})
	}
	return d
}

func settingErrorsToProto(se SettingErrors) []*pb.SettingError {
	out := make([]*pb.SettingError, len(se))
	for i, e := range se {
		out[i] = &pb.SettingError{Key: e.Key, Message: e.Message}
	}
	return out
}

// tokenToProto converts a token for the wire, where times are unix
// milliseconds and 0 means "none" (no expiry: the token never expires). An
// expiry or refresh hint that is not a time after 1970 that unix
// milliseconds can hold is an error: it must never become 0, "never".
func tokenToProto(t *oauth2.Token) (*pb.TokenResponse, error) {
	r := &pb.TokenResponse{AccessToken: t.AccessToken, TokenType: t.TokenType, Header: HeaderOf(t), SettingsUpdate: maps.Clone(SettingsUpdateOf(t))}
	var err error
	if r.Expiry, err = unixMilli(t.Expiry, "expiry"); err != nil {
		return nil, err
	}
	if r.RefreshAt, err = unixMilli(RefreshAtOf(t), "refresh hint"); err != nil {
		return nil, err
	}
	return r, nil
}

// unixMilli returns t in unix milliseconds, 0 for the zero time, or an error
// when t is at or before 1970 or beyond what an int64 of milliseconds holds.
func unixMilli(t time.Time, what string) (int64, error) {
	if t.IsZero() {
		return 0, nil
	}
	ms := t.UnixMilli()
	back := time.UnixMilli(ms)
	if ms <= 0 || back.After(t) || t.Sub(back) >= time.Millisecond {
		return 0, Temporary(fmt.Errorf("token %s is not a time after 1970 (the provider computed a nonsensical lifetime)", what))
	}
	return ms, nil
}

// tokenFromProto converts a token from the wire. A negative time is an
// error: only 0 means "none".
func tokenFromProto(r *pb.TokenResponse) (*oauth2.Token, error) {
	if r.GetExpiry() < 0 || r.GetRefreshAt() < 0 {
		return nil, Temporary(errors.New("tokenplug/plugin: the plugin sent a token expiry before 1970"))
	}
	t := &oauth2.Token{AccessToken: r.GetAccessToken(), TokenType: r.GetTokenType()}
	if r.GetExpiry() > 0 {
		t.Expiry = time.UnixMilli(r.GetExpiry())
	}
	extra := map[string]any{}
	if h := r.GetHeader(); h != "" {
		extra[ExtraHeader] = h
	}
	if r.GetRefreshAt() > 0 {
		extra[ExtraRefreshAt] = time.UnixMilli(r.GetRefreshAt())
	}
	if u := r.GetSettingsUpdate(); len(u) > 0 {
		extra[ExtraSettingsUpdate] = maps.Clone(u)
	}
	if len(extra) > 0 {
		t = t.WithExtra(extra)
	}
	return t, nil
}
