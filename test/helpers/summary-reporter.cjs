// Writes the run's totals for .ci/run, which prints the "N passed, N failed" line CI reads.
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const failedSuites = results.numRuntimeErrorTestSuites + results.testResults.filter((r) => r.testExecError).length;
    const summary = {
      passed: results.numPassedTests,
      failed: results.numFailedTests + failedSuites,
      skipped: results.numPendingTests + results.numTodoTests,
    };
    writeFileSync(join(this.rootDir, '.ci', '.last-results.json'), JSON.stringify(summary));
  }
}

module.exports = SummaryReporter;
