package grpctest

import (
	"context"

	"google.golang.org/grpc/credentials"
)

// RequestContext returns ctx as gRPC passes it to per-RPC credentials for
// an RPC of method on a connection of the given security level (a TLS
// connection's is credentials.PrivacyAndIntegrity), for tests and
// benchmarks that call GetRequestMetadata directly.
func RequestContext(ctx context.Context, method string, level credentials.SecurityLevel) context.Context {
	return credentials.NewContextWithRequestInfo(ctx, credentials.RequestInfo{
		Method:   method,
		AuthInfo: authInfo{credentials.CommonAuthInfo{SecurityLevel: level}},
	})
}

// authInfo is what gRPC's transport credentials report for a connection.
type authInfo struct{ credentials.CommonAuthInfo }

// AuthType is "tls" for a private connection, as gRPC's TLS credentials
// report, and "insecure" otherwise.
func (a authInfo) AuthType() string {
	if a.SecurityLevel == credentials.PrivacyAndIntegrity {
		return "tls"
	}
	return "insecure"
}
