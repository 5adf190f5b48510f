import type { Rule } from '../../rule.js';
import { imageAutoRule } from './_image-auto.js';

/** `injection/image-auto-pod` (IST0147): a Pod with `image: auto` that is not injected. */
const imageAutoPod: Rule = imageAutoRule('Pod', 'injection/image-auto-pod', 'IST0147', 'error');

export default imageAutoPod;
