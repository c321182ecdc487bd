package dev.graceful.runtime.server;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;

/**
 * The requests in flight on one connection: changed on its event loop only, read from any thread (the metrics, the
 * drain's count and its cut list).
 *
 * <p>A linked list through the requests themselves, newest first, instead of a concurrent set: adding or removing a
 * request is a few field writes, where the set hashed every request (an identity hash code is a call into the JVM)
 * and took its locks, about 1.5% of the CPU of an HTTP/2 request in the steady benchmark. A reader walks the
 * {@code next} links, published with release semantics after the request's own fields. Every link points to an older
 * request (a request is linked in at the head, and unlinking points its newer neighbour past it to an older one), so
 * a walk ends, even while the list changes under it; it may still show a request that has just ended or miss one that
 * has just begun, as the set's iteration could.
 */
final class InFlightList {

  private static final VarHandle HEAD;
  private static final VarHandle NEXT;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      HEAD = lookup.findVarHandle(InFlightList.class, "head", InFlightRequest.class);
      NEXT = lookup.findVarHandle(InFlightRequest.class, "next", InFlightRequest.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @SuppressWarnings("unused") // through HEAD
  private InFlightRequest head;

  /** Event loop only. */
  void add(InFlightRequest request) {
    InFlightRequest first = (InFlightRequest) HEAD.get(this);
    request.next = first; // published by the release below
    if (first != null) {
      first.prev = request;
    }
    HEAD.setRelease(this, request);
  }

  /**
   * Event loop only; a request already removed, or cleared with its connection, is left alone. Only for a request this
   * list added: one never added looks like the head (no newer neighbour) and would empty the list.
   */
  void remove(InFlightRequest request) {
    if (request.unlinked) {
      return;
    }
    request.unlinked = true;
    InFlightRequest newer = request.prev;
    InFlightRequest older = request.next;
    if (newer == null) {
      HEAD.setRelease(this, older);
    } else {
      NEXT.setRelease(newer, older);
    }
    if (older != null) {
      older.prev = newer;
    }
  }

  /** Event loop only: the connection closed. */
  void clear() {
    for (InFlightRequest r = (InFlightRequest) HEAD.get(this); r != null; r = r.next) {
      r.unlinked = true;
    }
    HEAD.setRelease(this, null);
  }

  boolean isEmpty() {
    return HEAD.getAcquire(this) == null;
  }

  /** Any thread: walks the list, as it is while the walk goes. */
  int size() {
    int n = 0;
    for (InFlightRequest r = first(); r != null; r = after(r)) {
      n++;
    }
    return n;
  }

  /** Any thread, the same way. */
  void forEach(Consumer<InFlightRequest> action) {
    for (InFlightRequest r = first(); r != null; r = after(r)) {
      action.accept(r);
    }
  }

  private InFlightRequest first() {
    return (InFlightRequest) HEAD.getAcquire(this);
  }

  private static InFlightRequest after(InFlightRequest r) {
    return (InFlightRequest) NEXT.getAcquire(r);
  }
}
