// The go-graceful peer: its graceful.Servers running three servers in parallel, shut down together within 25 s on
// SIGTERM: the demo's /delay route on 8080 (HTTP/1.1 and h2c, through gracefulhttp), the demo's gRPC service
// graceful.demo.v1.Demo on 9090 (Delay and Ticks, through gracefulgrpc, i.e. grpc.Server.GracefulStop), and a
// readiness route that always answers 200 on 9000 (where the chart's probes look). The gRPC messages are encoded
// with protowire against demo.proto's field numbers, so no generated code is needed.
package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/ne-sachirou/go-graceful"
	"github.com/ne-sachirou/go-graceful/gracefulgrpc"
	"github.com/ne-sachirou/go-graceful/gracefulhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
)

// maxDelay matches the runtime's demo: longer delays are refused.
const maxDelay = 20000

func main() {
	host := os.Getenv("GRACEFUL_HOST")
	mux := http.NewServeMux()
	mux.HandleFunc("/delay", func(w http.ResponseWriter, r *http.Request) {
		ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
		if err != nil || ms < 0 || ms > maxDelay {
			http.Error(w, "ms must be an integer from 0 to 20000", http.StatusBadRequest)
			return
		}
		time.Sleep(time.Duration(ms) * time.Millisecond)
		fmt.Fprintf(w, "delayed %d ms\n", ms)
	})
	mux.HandleFunc("/health/", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"status":"UP"}`))
	})
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	rpc := grpc.NewServer(grpc.ForceServerCodec(rawCodec{}))
	rpc.RegisterService(&demoService, nil)
	servers := graceful.Servers{Servers: []graceful.Server{
		&gracefulhttp.Server{Server: &http.Server{Addr: net.JoinHostPort(host, "8080"), Handler: mux, Protocols: protocols}},
		&gracefulgrpc.Server{Addr: net.JoinHostPort(host, "9090"), Server: rpc},
		&gracefulhttp.Server{Server: &http.Server{Addr: net.JoinHostPort(host, "9000"), Handler: mux}},
	}}
	if err := servers.Graceful(context.Background(), graceful.GracefulShutdownTimeout(25*time.Second)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// rawCodec hands the handlers the message bytes; they decode and encode with protowire.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

// uint32Fields reads the varint fields of a message (all of demo.proto's fields are uint32).
func uint32Fields(b []byte) (map[protowire.Number]uint64, error) {
	fields := map[protowire.Number]uint64{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
		if typ != protowire.VarintType {
			n = protowire.ConsumeFieldValue(num, typ, b)
		} else {
			var v uint64
			v, n = protowire.ConsumeVarint(b)
			fields[num] = v
		}
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
	}
	return fields, nil
}

func uint32Message(value uint64) *[]byte {
	b := protowire.AppendTag(nil, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, value)
	return &b
}

var demoService = grpc.ServiceDesc{
	ServiceName: "graceful.demo.v1.Demo",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Delay",
		Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			var in []byte
			if err := dec(&in); err != nil {
				return nil, err
			}
			f, err := uint32Fields(in)
			if err != nil || f[1] > maxDelay {
				return nil, status.Error(codes.InvalidArgument, "delay_ms must be at most 20000")
			}
			time.Sleep(time.Duration(f[1]) * time.Millisecond)
			return uint32Message(f[1]), nil
		},
	}},
	Streams: []grpc.StreamDesc{{
		StreamName:    "Ticks",
		ServerStreams: true,
		Handler: func(_ any, stream grpc.ServerStream) error {
			var in []byte
			if err := stream.RecvMsg(&in); err != nil {
				return err
			}
			f, err := uint32Fields(in)
			if err != nil || f[1] > 10000 || f[2] > maxDelay {
				return status.Error(codes.InvalidArgument, "count must be at most 10000 and interval_ms at most 20000")
			}
			interval := time.Duration(max(1, f[2])) * time.Millisecond
			for seq := uint64(1); seq <= f[1]; seq++ {
				time.Sleep(interval)
				if err := stream.SendMsg(uint32Message(seq)); err != nil {
					return err
				}
			}
			return nil
		},
	}},
	Metadata: "graceful/demo/v1/demo.proto",
}
