/** Child process for the "client vanishes" test: opens an ADS stream, prints READY after the first response, then waits to be killed. */
import { TYPE_URL } from '../../src/xds/resources.js';
import { openAds } from './_ads-client.js';

const s = openAds(Number(process.argv[2]));
s.send({ node: { id: process.argv[3] }, typeUrl: TYPE_URL.cluster });
await s.next(10_000);
process.stdout.write('READY\n');
setInterval(() => {}, 1000);
