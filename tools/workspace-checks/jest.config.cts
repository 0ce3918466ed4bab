// Checks of the workspace itself (lint rules that must bite), not of any app.
module.exports = {
  displayName: 'workspace-checks',
  preset: '../../jest.preset.js',
  testTimeout: 60_000,
};
