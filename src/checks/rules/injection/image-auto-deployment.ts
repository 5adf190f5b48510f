import type { Rule } from '../../rule.js';
import { imageAutoRule } from './_image-auto.js';

/** `injection/image-auto-deployment` (IST0146): a Deployment with `image: auto` whose pods are not injected. */
const imageAutoDeployment: Rule = imageAutoRule('Deployment', 'injection/image-auto-deployment', 'IST0146', 'warning');

export default imageAutoDeployment;
