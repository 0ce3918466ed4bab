module.exports = {
  displayName: 'hsm',
  preset: '../../jest.preset.js',
};
