package dev.graceful.runtime.config;

/** A setting that cannot be used. The message names the setting and the offending value. */
public final class ConfigException extends RuntimeException {

  private final String setting;

  public ConfigException(String setting, String value, String problem) {
    super(setting + "=" + quote(value) + ": " + problem);
    this.setting = setting;
  }

  public String setting() {
    return setting;
  }

  private static String quote(String value) {
    return value == null ? "<unset>" : "'" + value + "'";
  }
}
