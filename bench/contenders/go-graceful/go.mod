module graceful.dev/bench/go-graceful

go 1.24
