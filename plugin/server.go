package plugin

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"

	"golang.org/x/oauth2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tokenplug/tokenplug/internal/redact"
	"github.com/tokenplug/tokenplug/internal/wire"
	pb "github.com/tokenplug/tokenplug/plugin/proto"
)

// server adapts a Provider to the generated service. It serves any number
// of provider instances, each with its own settings and token source: the
// default one (Configure without new_instance, as a host that predates
// instances sends) and those Configure with new_instance creates. An
// instance's settings, token source and errors never reach another's
// answers, and its errors are scrubbed of its own secret settings only:
// scrubbed of every instance's, they would tell one tenant which of its
// guesses was another's key.
type server struct {
	pb.UnimplementedProviderServer
	impl  Provider
	desc  Description
	multi bool

	mu   sync.RWMutex         // guards def and inst
	def  *instance            // the default instance; nil until configured
	inst map[string]*instance // instances by id
}

// instance is one configured provider instance.
type instance struct {
	ts  oauth2.TokenSource
	red *redact.Redactor // its secret settings
}

func newServer(p Provider) *server {
	return &server{impl: p, desc: p.Describe(), multi: !wire.SingleInstance, inst: map[string]*instance{}}
}

func (s *server) Describe(context.Context, *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	d := describeToProto(s.desc)
	d.MultiInstance = s.multi
	d.AnswersChallenges = !wire.NoChallenges // per instance: see token
	return d, nil
}

func (s *server) Configure(ctx context.Context, req *pb.ConfigureRequest) (resp *pb.ConfigureResponse, err error) {
	defer recoverStatus(&err)
	multi := s.multi && req.GetNewInstance()
	id := ""
	if multi {
		id = newInstanceID()
	}
	red := redact.New(secretValues(s.desc, req.GetSettings())...)
	ts, hosts, err := s.configure(withInstance(ctx, id), req.GetSettings())
	if se := settingErrorsOf(err); se != nil {
		return &pb.ConfigureResponse{Errors: settingErrorsToProto(scrubSettingErrors(se, red))}, nil
	}
	if err != nil {
		return nil, scrubStatus(err, red)
	}
	inst := &instance{ts: ts, red: red}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !multi {
		s.def = inst
		return &pb.ConfigureResponse{DefaultHosts: hosts}, nil
	}
	s.inst[id] = inst
	return &pb.ConfigureResponse{Instance: id, DefaultHosts: hosts}, nil
}

// secretValues returns the values of d's secret settings in settings.
func secretValues(d Description, settings map[string]string) []string {
	var out []string
	for _, st := range d.Settings {
		if v := settings[st.Key]; st.Secret && v != "" {
			out = append(out, v)
		}
	}
	return out
}

// configure applies the schema to settings and asks the provider for a
// token source, and for the configuration's default hosts when it
// implements HostsForSettings.
func (s *server) configure(ctx context.Context, settings map[string]string) (oauth2.TokenSource, []string, error) {
	applied, err := ApplySchema(s.desc, settings)
	if err != nil {
		return nil, nil, err
	}
	ts, err := s.impl.Configure(ctx, applied)
	if err == nil && ts == nil {
		err = fmt.Errorf("tokenplug/%s: Configure returned no token source", s.desc.Name)
	}
	if err != nil {
		return nil, nil, err
	}
	var hosts []string
	if h, ok := s.impl.(HostsForSettings); ok {
		hosts = slices.Clone(h.DefaultHostsFor(applied))
	}
	return ts, hosts, nil
}

// newInstanceID returns an unguessable instance id: an id names an
// instance, and one host's ids must not be derivable from another's.
func newInstanceID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// source returns instance id ("" is the default).
func (s *server) source(id string) (*instance, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if id == "" || !s.multi {
		if s.def == nil {
			return nil, status.Errorf(codes.FailedPrecondition, "tokenplug/%s: not configured", s.desc.Name)
		}
		return s.def, nil
	}
	inst, ok := s.inst[id]
	if !ok {
		return nil, status.Errorf(codes.FailedPrecondition, "tokenplug/%s: instance not configured", s.desc.Name)
	}
	return inst, nil
}

func (s *server) Token(ctx context.Context, req *pb.TokenRequest) (resp *pb.TokenResponse, err error) {
	defer recoverStatus(&err)
	inst, err := s.source(req.GetInstance())
	if err != nil {
		return nil, err
	}
	tok, err := s.token(withInstance(ctx, req.GetInstance()), inst.ts, req.GetChallenge())
	if errors.Is(err, ErrChallengeUnsupported) {
		return nil, status.Errorf(codes.Unimplemented, "tokenplug/%s: this configuration does not answer challenges", s.desc.Name)
	}
	if err != nil {
		return nil, scrubStatus(err, inst.red)
	}
	if tok == nil || tok.AccessToken == "" {
		return nil, status.Errorf(codes.Internal, "tokenplug/%s: token source returned no token", s.desc.Name)
	}
	if err := CheckSettingsUpdate(s.desc, SettingsUpdateOf(tok)); err != nil {
		return nil, toStatus(err)
	}
	resp, err = tokenToProto(tok)
	if err != nil {
		return nil, toStatus(fmt.Errorf("tokenplug/%s: %w", s.desc.Name, err))
	}
	return resp, nil
}

// token asks ts for its default token, or, with a challenge, for a token
// answering it when ts is a ChallengeTokenSource.
func (s *server) token(ctx context.Context, ts oauth2.TokenSource, ch *pb.Challenge) (*oauth2.Token, error) {
	if ch != nil && !wire.NoChallenges {
		cts, ok := ts.(ChallengeTokenSource)
		if !ok {
			return nil, ErrChallengeUnsupported
		}
		return cts.TokenForChallenge(ctx, challengeFromProto(ch))
	}
	if cts, ok := ts.(ContextTokenSource); ok {
		return cts.TokenContext(ctx)
	}
	return ts.Token()
}

// Release forgets an instance. A plugin with wire.SingleInstance set answers
// Unimplemented, as plugins from before instances do.
func (s *server) Release(_ context.Context, req *pb.ReleaseRequest) (*pb.ReleaseResponse, error) {
	if !s.multi {
		return nil, status.Error(codes.Unimplemented, "method Release not implemented")
	}
	s.mu.Lock()
	delete(s.inst, req.GetInstance())
	s.mu.Unlock()
	return &pb.ReleaseResponse{}, nil
}
