import { codexSetup } from './fake-model/cli-setup.js';
import { describeCliContract } from './fake-model/cli-contract.js';

describeCliContract('codex', (url) => codexSetup(url));
