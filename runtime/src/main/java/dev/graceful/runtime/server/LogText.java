package dev.graceful.runtime.server;

/** Client-controlled text made safe for one log line: no control characters, bounded length. */
public final class LogText {

  private static final int MAX = 200;

  private LogText() {
  }

  /** Escapes control characters (CR, LF, ESC, ...) as {@code \xNN} or {@code \\uNNNN}, and cuts the text at 200 chars. */
  public static String escape(String text) {
    if (text == null) {
      return "null";
    }
    StringBuilder out = new StringBuilder(Math.min(text.length(), MAX) + 8);
    for (int i = 0; i < text.length(); i++) {
      if (out.length() >= MAX) {
        return out.append("...(").append(text.length()).append(" chars)").toString();
      }
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        out.append(String.format("\\x%02x", (int) c));
      } else if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
        out.append(String.format("\\u%04x", (int) c));
      } else if (c == '\\') {
        out.append("\\\\");
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
