module.exports = {
  displayName: 'stack',
  preset: '../../jest.preset.js',
};
