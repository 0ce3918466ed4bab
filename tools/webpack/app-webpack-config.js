// The webpack build of every Keyward app: one bundle per app with the workspace libs (@keyward/*)
// compiled in, and every npm package left external (loaded from node_modules at run time).
// The libs must be allow-listed because npm workspaces link them into node_modules too.
const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const nodeExternals = require('webpack-node-externals');
const { join, relative } = require('path');

const root = join(__dirname, '..', '..');

module.exports = function keywardAppWebpackConfig(projectDir) {
  return {
    output: { path: join(root, 'dist', relative(root, projectDir)), clean: true },
    externals: [nodeExternals({ modulesDir: join(root, 'node_modules'), allowlist: [/^@keyward\//] })],
    // Nest requires optional packages we do not use inside try/catch; leave them unresolved.
    ignoreWarnings: [
      /Can't resolve '(@nestjs\/websockets|@nestjs\/microservices\/microservices-module|class-transformer|class-validator|@fastify\/static|@fastify\/view)/,
    ],
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
        externalDependencies: 'none',
        mergeExternals: true,
      }),
    ],
  };
};
