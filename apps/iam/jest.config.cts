module.exports = {
  displayName: 'iam',
  preset: '../../jest.preset.js',
};
