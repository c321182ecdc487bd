module graceful.dev/bench/go-nethttp

go 1.24
