// The floor of a Node proxy, for bench/proxy: node:http downstream, undici keep-alive pools
// upstream, the 90/10 split by Math.random, headers passed as they came, no access log, no
// routing, no stats, no policies. What Node itself costs per proxied request on this machine, so
// the bench can tell Node's share of our proxy's cost from ours.
//   node minimal-proxy.mjs <listen-port> <v1 host:port> <v2 host:port>
import * as http from 'node:http';
import { Pool } from 'undici';

const [port, v1, v2] = process.argv.slice(2);
const pools = [new Pool(`http://${v1}`, { pipelining: 1 }), new Pool(`http://${v2}`, { pipelining: 1 })];
const server = http.createServer({ noDelay: true, keepAliveTimeout: 60_000, requestTimeout: 0 }, (req, res) => {
  const pool = pools[Math.random() < 0.9 ? 0 : 1];
  pool.dispatch({ path: req.url, method: req.method, headers: req.rawHeaders.filter((_, i, a) => a[i - (i % 2)].toLowerCase() !== 'connection'), body: null }, {
    onConnect() {},
    onError(err) { if (!res.headersSent) { res.writeHead(503); res.end(String(err.message)); } else res.destroy(); },
    onHeaders(status, raw) {
      const h = [];
      for (let i = 0; i < raw.length; i += 2) {
        const n = raw[i].toString('latin1');
        const l = n.toLowerCase();
        if (l !== 'connection' && l !== 'keep-alive' && l !== 'transfer-encoding') h.push(n, raw[i + 1].toString('latin1'));
      }
      res.writeHead(status, h);
      return true;
    },
    onData(chunk) { return res.write(chunk); },
    onComplete() { res.end(); },
  });
});
server.listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => { server.closeAllConnections(); server.close(); for (const p of pools) p.destroy(); });
