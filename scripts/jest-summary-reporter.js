// Ends every jest run with one plain line, `tests: N passed, N failed, N skipped`, so that a
// reader (or CI) that does not know jest's own summary format can still tell what ran.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    console.log(`tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped`);
  }
}
module.exports = SummaryReporter;
