// Rules of the webhook area (Istio's injector and validator webhook configurations), one line each.
export { default as externalControlPlaneIpAddress } from './external-control-plane-ip-address.js';
export { default as externalControlPlaneUrlInvalid } from './external-control-plane-url-invalid.js';
export { default as injectorServiceNotFound } from './injector-service-not-found.js';
export { default as overlappingInjectionWebhooks } from './overlapping-injection-webhooks.js';
