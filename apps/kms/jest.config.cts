module.exports = {
  displayName: 'kms',
  preset: '../../jest.preset.js',
};
