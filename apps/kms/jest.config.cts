module.exports = {
  displayName: 'kms',
  preset: '../../jest.preset.js',
  // Also when this project runs alone (nx test); the root config sets it for npm test.
  testTimeout: 30_000,
  moduleNameMapper: {
    // The official SDK 0.1.2 (conformance suite) pulls axios-cookiejar-support 1.x, which npm hoists next to
    // axios 1.x; its deep imports of axios 0.x internals must reach the SDK's own axios 0.26.
    '^axios/lib/(.*)$': '<rootDir>/../../node_modules/@ibm-cloud/ibm-key-protect/node_modules/axios/lib/$1',
  },
};
