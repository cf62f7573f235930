// cdk8s-cli loads validation plugins with a plain require(); registering ts-node lets it load
// the plugin straight from the TypeScript sources of this repository, with no build step.
const path = require('path');
require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', '..', 'tsconfig.json') });
module.exports = require('../../lib/validation/cdk8s-plugin');
