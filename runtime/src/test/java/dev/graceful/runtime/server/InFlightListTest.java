package dev.graceful.runtime.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** One writer (the event loop) changes a connection's in-flight list; any thread reads it. */
class InFlightListTest {

  private static InFlightRequest request(String uri) {
    return new InFlightRequest(null, "GET", uri, false, 0);
  }

  private static List<String> uris(InFlightList list) {
    List<String> uris = new ArrayList<>();
    list.forEach(r -> uris.add(r.uri.toString()));
    return uris;
  }

  @Test
  void removesFromTheHeadTheMiddleAndTheTail() {
    InFlightList list = new InFlightList();
    InFlightRequest a = request("/a");
    InFlightRequest b = request("/b");
    InFlightRequest c = request("/c");
    InFlightRequest d = request("/d");
    assertTrue(list.isEmpty());
    list.add(a);
    list.add(b);
    list.add(c);
    list.add(d);
    assertEquals(List.of("/d", "/c", "/b", "/a"), uris(list), "newest first");
    list.remove(c);
    assertEquals(List.of("/d", "/b", "/a"), uris(list));
    list.remove(d);
    assertEquals(List.of("/b", "/a"), uris(list));
    list.remove(a);
    assertEquals(List.of("/b"), uris(list));
    assertEquals(1, list.size());
    list.remove(b);
    assertTrue(list.isEmpty());
    assertEquals(0, list.size());
  }

  @Test
  void removingTwiceOrAfterTheConnectionClosedChangesNothing() {
    InFlightList list = new InFlightList();
    InFlightRequest a = request("/a");
    InFlightRequest b = request("/b");
    list.add(a);
    list.add(b);
    list.remove(b);
    list.remove(b);
    assertEquals(List.of("/a"), uris(list), "a second removal of the head must not unlink its old neighbour");
    InFlightRequest c = request("/c");
    list.add(c);
    list.clear();
    assertTrue(list.isEmpty());
    // HTTP/2 streams close after the connection's own close: a request cleared must not bring its neighbours back.
    list.remove(c);
    list.remove(a);
    assertTrue(list.isEmpty(), uris(list).toString());
    InFlightRequest e = request("/e");
    list.add(e);
    list.remove(a);
    assertEquals(List.of("/e"), uris(list));
  }

  @Test
  void aReaderOnAnotherThreadFinishesEveryWalkAndNeverMissesARequestInFlightAllAlong() throws Exception {
    InFlightList list = new InFlightList();
    InFlightRequest steady = request("/steady");
    list.add(steady);
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch readerRuns = new CountDownLatch(1);
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      Future<Integer> reader = threads.submit(() -> {
        // Walks until the writer is done, and at least 1,000 times, so some walks overlap the changes on any machine.
        int walks = 0;
        readerRuns.countDown();
        while (!stop.get() || walks < 1_000) {
          List<String> seen = uris(list);
          if (!seen.contains("/steady")) {
            throw new AssertionError("a walk lost the request in flight all along: " + seen);
          }
          walks++;
        }
        return walks;
      });
      assertTrue(readerRuns.await(30, TimeUnit.SECONDS), "the reader thread started");
      Future<Integer> writer = threads.submit(() -> {
        // Keeps between 1 and 9 requests in flight, removing them out of order, for a bounded number of rounds.
        ArrayList<InFlightRequest> open = new ArrayList<>();
        int rounds = 0;
        for (; rounds < 2_000_000; rounds++) {
          if (open.size() < 8 && (rounds % 3 != 0 || open.isEmpty())) {
            InFlightRequest r = request("/" + rounds);
            open.add(r);
            list.add(r);
          } else {
            list.remove(open.remove((rounds * 7) % open.size()));
          }
        }
        return rounds;
      });
      try {
        assertEquals(2_000_000, writer.get(60, TimeUnit.SECONDS));
      } finally {
        stop.set(true);
      }
      // A walk that did not end would hold the reader here: the bound fails the test instead of hanging it.
      assertTrue(reader.get(60, TimeUnit.SECONDS) >= 1_000, "the reader walked the list while it changed");
    } finally {
      stop.set(true);
      threads.shutdownNow();
    }
    assertFalse(list.isEmpty());
  }
}
