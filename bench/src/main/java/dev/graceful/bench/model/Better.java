package dev.graceful.bench.model;

/** Which direction of a metric is good: it decides how a ratio reads, not how it is computed. */
public enum Better {
  HIGHER, LOWER, NEITHER
}
