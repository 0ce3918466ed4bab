module.exports = {
  displayName: 'stack',
  preset: '../../jest.preset.js',
  // Also when this project runs alone (nx test); the root config sets it for npm test.
  testTimeout: 30_000,
};
