import { geminiSetup } from './fake-model/cli-setup.js';
import { describeCliContract } from './fake-model/cli-contract.js';

describeCliContract('gemini', (url) => geminiSetup(url));
