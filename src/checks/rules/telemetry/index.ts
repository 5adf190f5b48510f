// Rules of the telemetry area, one line each: export { default as camelName } from './file.js';
export { default as accessLogWithoutProvider } from './access-log-without-provider.js';
export { default as lightstepDeprecated } from './lightstep-deprecated.js';
export { default as multipleDefaultTelemetries } from './multiple-default-telemetries.js';
export { default as providerNotFound } from './provider-not-found.js';
export { default as telemetrySelectorMatchesNoWorkload } from './selector-matches-no-workload.js';
export { default as telemetryWorkloadSelectedTwice } from './workload-selected-twice.js';
