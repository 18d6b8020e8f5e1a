import { claudeSetup } from './fake-model/cli-setup.js';
import { describeCliContract } from './fake-model/cli-contract.js';

describeCliContract('claude', (url) => claudeSetup(url));
