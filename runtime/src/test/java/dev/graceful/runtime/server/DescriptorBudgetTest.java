package dev.graceful.runtime.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The connection budget leaves descriptors for what is open already and a reserve for probes, the API and files. */
class DescriptorBudgetTest {

  @Test
  void theLimitLessWhatIsOpenLessTheReserve() {
    assertEquals(256 - 120 - 64, DescriptorBudget.connectionsAllowed(256, 120), "small limits keep the 64 minimum");
    assertEquals(1_048_576 - 200 - 104_857, DescriptorBudget.connectionsAllowed(1_048_576, 200), "large ones a tenth");
    assertEquals(1, DescriptorBudget.connectionsAllowed(100, 90), "never below one");
  }

  @Test
  void thisProcessHasABudget() {
    int allowed = DescriptorBudget.connectionsAllowed();
    assertTrue(allowed >= 1, String.valueOf(allowed));
  }
}
