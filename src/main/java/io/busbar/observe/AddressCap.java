package io.busbar.observe;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.MeterFilter;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Keeps the {@code address} label of every meter bounded: the first {@code max} distinct addresses keep
 * their name, every later one is reported as {@value #OTHER}, and the per-request reply addresses of the
 * event bus ({@code __vertx.reply.*}) are all reported as {@value #REPLY}. Without this a client that
 * publishes to many addresses would create a time series per address and exhaust the scraper.
 */
public final class AddressCap implements MeterFilter {
  public static final String TAG = "address";
  public static final String OTHER = "other";
  public static final String REPLY = "__vertx.reply";

  private final int max;
  private final Set<String> kept = new HashSet<>();

  public AddressCap(int max) {
    this.max = max;
  }

  @Override
  public Meter.Id map(Meter.Id id) {
    String address = id.getTag(TAG);
    if (address == null) {
      return id;
    }
    String label = label(address);
    if (label.equals(address)) {
      return id;
    }
    List<Tag> tags = new ArrayList<>();
    for (Tag tag : id.getTagsAsIterable()) {
      tags.add(tag.getKey().equals(TAG) ? Tag.of(TAG, label) : tag);
    }
    return id.replaceTags(tags);
  }

  /** The label value {@code address} is reported under. */
  public synchronized String label(String address) {
    if (address.startsWith(REPLY + ".")) {
      return REPLY;
    }
    if (kept.contains(address)) {
      return address;
    }
    if (kept.size() < max) {
      kept.add(address);
      return address;
    }
    return OTHER;
  }
}
