import { tierConfig } from './tier-config.mjs';

export default tierConfig('fast');
