// Where `cdk8s synth` writes the promises `meshproof verify` checks, relative to the project root.
// Its own module so that reading them (verify) never loads the construct library (collect.ts does).
export const EXPECTATIONS_PATH = '.meshproof/expectations.json';
