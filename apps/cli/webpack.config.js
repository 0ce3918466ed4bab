const keywardAppWebpackConfig = require('../../tools/webpack/app-webpack-config');

module.exports = keywardAppWebpackConfig(__dirname);
