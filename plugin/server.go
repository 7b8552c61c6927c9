package plugin

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"

	"golang.org/x/oauth2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tokenplug/tokenplug/internal/wire"
	pb "github.com/tokenplug/tokenplug/plugin/proto"
)

// server adapts a Provider to the generated service. It serves any number
// of provider instances, each with its own settings and token source: the
// default one (Configure without new_instance, as a host that predates
// instances sends) and those Configure with new_instance creates. An
// instance's settings, token source and errors never reach another's
// answers.
type server struct {
	pb.UnimplementedProviderServer
	impl  Provider
	desc  Description
	multi bool

	mu   sync.RWMutex                  // guards def and inst
	def  oauth2.TokenSource            // the default instance; nil until configured
	inst map[string]oauth2.TokenSource // instances by id
}

func newServer(p Provider) *server {
	return &server{impl: p, desc: p.Describe(), multi: !wire.SingleInstance, inst: map[string]oauth2.TokenSource{}}
}

func (s *server) Describe(context.Context, *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	d := describeToProto(s.desc)
	d.MultiInstance = s.multi
	return d, nil
}

func (s *server) Configure(ctx context.Context, req *pb.ConfigureRequest) (resp *pb.ConfigureResponse, err error) {
	defer recoverStatus(&err)
	ts, hosts, err := s.configure(ctx, req.GetSettings())
	if se := settingErrorsOf(err); se != nil {
		return &pb.ConfigureResponse{Errors: settingErrorsToProto(se)}, nil
	}
	if err != nil {
		return nil, toStatus(err)
	}
	if !s.multi || !req.GetNewInstance() {
		s.mu.Lock()
		s.def = ts
		s.mu.Unlock()
		return &pb.ConfigureResponse{DefaultHosts: hosts}, nil
	}
	id := newInstanceID()
	s.mu.Lock()
	s.inst[id] = ts
	s.mu.Unlock()
	return &pb.ConfigureResponse{Instance: id, DefaultHosts: hosts}, nil
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

// source returns the token source of instance id ("" is the default).
func (s *server) source(id string) (oauth2.TokenSource, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if id == "" || !s.multi {
		if s.def == nil {
			return nil, status.Errorf(codes.FailedPrecondition, "tokenplug/%s: not configured", s.desc.Name)
		}
		return s.def, nil
	}
	ts, ok := s.inst[id]
	if !ok {
		return nil, status.Errorf(codes.FailedPrecondition, "tokenplug/%s: instance not configured", s.desc.Name)
	}
	return ts, nil
}

func (s *server) Token(ctx context.Context, req *pb.TokenRequest) (resp *pb.TokenResponse, err error) {
	defer recoverStatus(&err)
	ts, err := s.source(req.GetInstance())
	if err != nil {
		return nil, err
	}
	var tok *oauth2.Token
	if cts, ok := ts.(ContextTokenSource); ok {
		tok, err = cts.TokenContext(ctx)
	} else {
		tok, err = ts.Token()
	}
	if err != nil {
		return nil, toStatus(err)
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
