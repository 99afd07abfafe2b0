// A real S3-compatible server (s3rver: checks SigV4 signatures) on loopback
// for the s3 storage plugin's tests. Usage: node server.js PORT DIRECTORY
// Listens on 127.0.0.1:PORT with the bucket `jobs`; prints "ready PORT"
// once it accepts connections. Keys: S3RVER / S3RVER. Run node with
// --openssl-legacy-provider: s3rver's list continuation tokens use DES.
'use strict';
const S3rver = require('@20minutes/s3rver');

const port = Number(process.argv[2]);
const directory = process.argv[3];
if (!port || !directory) {
  console.error('usage: node server.js PORT DIRECTORY');
  process.exit(64);
}
new S3rver({ port, address: '127.0.0.1', directory, silent: true, configureBuckets: [{ name: 'jobs' }] })
  .run()
  .then((address) => console.log(`ready ${address.port}`))
  .catch((err) => {
    console.error(`s3rver: ${err.message}`);
    process.exit(1);
  });
