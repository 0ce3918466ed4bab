const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { join } = require('path');

module.exports = {
  output: { path: join(__dirname, '../../dist/apps/kms'), clean: true },
  // Nest optionally requires packages we do not use; leave those requires unresolved.
  ignoreWarnings: [/Can't resolve '(@nestjs\/websockets|@nestjs\/microservices\/microservices-module|class-transformer|class-validator|@fastify\/static|@fastify\/view)/],
  plugins: [
    new NxAppWebpackPlugin({
      target: 'node',
      compiler: 'tsc',
      main: './src/main.ts',
      tsConfig: './tsconfig.app.json',
      optimization: false,
      outputHashing: 'none',
      generatePackageJson: false,
      sourceMap: true,
    }),
  ],
};
