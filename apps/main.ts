/**
 * The cdk8s app `cdk8s synth` runs (see cdk8s.yaml): one chart per app, one file per chart in dist/.
 */
import { MeshApp } from '../src/app/mesh-app.js';
import { Bookinfo } from './bookinfo.js';
import { Customers } from './customers.js';
import { Httpbin } from './httpbin.js';
import { Platform } from './platform.js';

const app = new MeshApp();
new Platform(app, 'platform');
new Bookinfo(app, 'bookinfo');
new Customers(app, 'customers');
new Httpbin(app, 'httpbin');
app.synth();
