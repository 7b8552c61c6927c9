// Package proto holds the gRPC contract between a tokenplug host and its
// provider plugins. The Go files are generated from provider.proto and
// committed; run `go generate ./plugin/proto` (needs protoc, protoc-gen-go and
// protoc-gen-go-grpc) after changing it. Never edit the generated files.
package proto

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative provider.proto
