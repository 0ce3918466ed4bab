// The whole stack over HTTP: the built apps, started once for this project by the e2e harness.
module.exports = {
  displayName: 'stack-e2e',
  preset: '../../jest.preset.js',
  // Also when this project runs alone (nx test); the root config sets it for npm test.
  testTimeout: 30_000,
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  globalSetup: '<rootDir>/src/support/global-setup.ts',
  globalTeardown: '<rootDir>/src/support/global-teardown.ts',
};
