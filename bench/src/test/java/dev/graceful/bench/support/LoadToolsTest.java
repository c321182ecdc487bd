package dev.graceful.bench.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parsers against real output of the tool versions ensure-tools.sh installs. */
class LoadToolsTest {

  @Test
  void wrk() {
    LoadResult r = LoadTools.parseWrk("""
        Running 3s test @ http://127.0.0.1:41877/delay?ms=0
          2 threads and 16 connections
          Thread Stats   Avg      Stdev     Max   +/- Stdev
            Latency     1.08ms    2.57ms  38.10ms   94.94%
            Req/Sec    14.19k     4.80k   25.30k    65.00%
          Latency Distribution
             50%  443.00us
             75%  753.00us
             90%    2.27ms
             99%   11.79ms
          85050 requests in 3.03s, 6.33MB read
          Socket errors: connect 0, read 2, write 0, timeout 1
          Non-2xx or 3xx responses: 50
        Requests/sec:  28064.99
        """);
    assertEquals(85000, r.ok());
    assertEquals(53, r.errors());
    assertEquals(3.03, r.seconds(), 1e-9);
    assertEquals(85000 / 3.03, r.throughput(), 1e-6);
    assertEquals(11.79, r.p99Ms(), 1e-9);
    assertEquals(0.443, LoadTools.parseWrk("""
          Latency Distribution
             99%  443.00us
          10 requests in 1.00m, 6.33MB read
        """).p99Ms(), 1e-9);
  }

  @Test
  void h2loadSummaryAndRequestLog(@TempDir Path dir) throws Exception {
    LoadResult r = LoadTools.parseH2load("""
        finished in 3.01s, 858.67 req/s, 32.76KB/s
        requests: 2576 total, 2640 started, 2576 done, 2570 succeeded, 6 failed, 6 errored, 0 timeout
        """, 4.5);
    assertEquals(2570, r.ok());
    assertEquals(6, r.errors());
    assertEquals(2570 / 3.01, r.throughput(), 1e-6);
    assertEquals(4.5, r.p99Ms());

    Path log = dir.resolve("log.tsv");
    StringBuilder lines = new StringBuilder();
    long t0 = 1_700_000_000_000_000L;
    for (int i = 0; i < 250; i++) {
      // 100 requests in each of seconds 0 and 1 (one of them a 503), 50 in the partial second 2
      lines.append(t0 + i * 10_000L).append('\t').append(i == 150 ? 503 : 200).append('\t').append(i < 200 ? 1000 : 9000).append('\n');
    }
    Files.writeString(log, lines);
    LoadTools.RequestLog parsed = LoadTools.RequestLog.read(log);
    assertEquals(2, parsed.perSecond().size());
    assertEquals(1.0, parsed.perSecond().get(0)[0]);
    assertEquals(100.0, parsed.perSecond().get(0)[1]);
    assertEquals(99.0, parsed.perSecond().get(1)[1]);
    assertEquals(1.0, parsed.perSecond().get(1)[2]);
    assertEquals(9.0, parsed.p99Ms(), 1e-9);
  }

  @Test
  void ghz() {
    LoadResult r = LoadTools.parseGhz("""
        Summary:
          Count:\t13460
          Total:\t3.00 s
          Slowest:\t144.13 ms
          Requests/sec:\t4492.76

        Latency distribution:
          95 % in 7.74 ms\s
          99 % in 21.34 ms\s

        Status code distribution:
          [OK]            13444 responses  \s
          [Unavailable]   16 responses     \s
        """);
    assertEquals(13444, r.ok());
    assertEquals(16, r.errors());
    assertEquals(13444 / 3.0, r.throughput(), 1e-6);
    assertEquals(21.34, r.p99Ms(), 1e-9);
    assertEquals(0.9, LoadTools.parseGhz("Total:\t1.00 s\n  99 % in 900.00 µs\n  [OK] 5 responses\n").p99Ms(), 1e-9);
  }
}
