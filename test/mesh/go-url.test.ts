import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isGoIp, parseGoUrl } from '../../src/mesh/go-url.js';

test('GIVEN webhook urls WHEN read as Go net/url.Parse THEN the same errors and Hostname() as Go', () => {
  const table: [string, string][] = [
    ['https://istiod.example.com:15017/inject', 'host istiod.example.com'],
    ['https://10.0.0.7:15017/inject/cluster/c1/net/n1', 'host 10.0.0.7'],
    ['https://[2001:db8::1]:15017/validate', 'host 2001:db8::1'],
    ['https://[fe80::1%25eth0]/inject', 'host fe80::1%eth0'],
    ['https://user:p%40ss@istiod.example.com/inject', 'host istiod.example.com'],
    ['https://istiod.example.com/inject?x=1#frag', 'host istiod.example.com'],
    // no authority: a path or an opaque part, so no host at all
    ['10.0.0.7/inject', 'host '],
    ['istiod.example.com:15017/inject', 'host '],
    ['https:10.0.0.7', 'host '],
    ['', 'host '],
    ['10.0.0.7:15017/inject', 'error first path segment in URL cannot contain colon'],
    ['://istiod', 'error missing protocol scheme'],
    ['https://istiod.example.com:15O17/inject', 'error invalid port ":15O17" after host'],
    ['https://istiod.example.com:80:80/inject', 'error invalid port ":80:80" after host'],
    ['https://istiod example.com/inject', 'error invalid character " " in host name'],
    ['https://istiod.example.com/in%zzject', 'error invalid URL escape "%zz"'],
    ['https://istiod.example.com/#%z', 'error invalid URL escape "%z"'],
    ['https://[2001:db8::1/inject', 'error missing \']\' in host'],
    ['https://[10.0.0.7]/inject', 'error invalid IP-literal "[10.0.0.7]"'],
    ['https://evil[ab]/inject', 'error invalid IP-literal in host "evil[ab]"'],
    ['https://istiod.example.com/inject\n', 'error net/url: invalid control character in URL'],
    ['https://us er@istiod.example.com/', 'error net/url: invalid userinfo'],
  ];
  for (const [raw, want] of table) {
    const r = parseGoUrl(raw);
    assert.is(r.ok ? `host ${r.hostname}` : `error ${r.error}`, want, raw);
  }
});

test('GIVEN host names WHEN judged as Go net.ParseIP THEN only plain IPv4 without leading zeros and zone-less IPv6 are IPs', () => {
  for (const ip of ['10.0.0.7', '0.0.0.0', '255.255.255.255', '2001:db8::1', '::1', '::ffff:10.0.0.7']) assert.ok(isGoIp(ip), ip);
  for (const host of ['010.0.0.7', '256.0.0.1', '10.0.0', 'fe80::1%eth0', 'istiod.example.com', '', '0x7f.0.0.1']) assert.not.ok(isGoIp(host), host);
});

test.run();
