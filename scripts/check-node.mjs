// Refuses to run on a Node older than 22 (libp2p needs Promise.withResolvers), with the fix.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(
    `murmur needs Node 22 or newer; this is ${process.version} (${process.execPath}).\n` +
      'Run it through npm (npm start, npm test, npm run ...), which puts the project\'s own Node 22\n' +
      '(the "node" devDependency, node_modules/.bin/node) first on PATH. See DEVELOPERS.md.',
  );
  process.exit(1);
}
