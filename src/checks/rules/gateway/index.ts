// Rules of the gateway area, one line each: export { default as camelName } from './file.js';
export { default as conflictingGateways } from './conflicting-gateways.js';
export { default as duplicateCertificate } from './duplicate-certificate.js';
export { default as httpWithoutHttpsRedirect } from './http-without-https-redirect.js';
export { default as gatewayPortNotOnService } from './port-not-on-service.js';
export { default as publicServerWithoutTls } from './public-server-without-tls.js';
export { default as gatewaySelectorMatchesNoWorkload } from './selector-matches-no-workload.js';
export { default as gatewayWildcardHost } from './wildcard-host.js';
