// cdk8s-cli loads validation plugins with a plain require(); the repository's TypeScript loader
// lets it load the plugin straight from the sources, with no build step.
require('../../scripts/register-ts');
module.exports = require('../../lib/synth/validation/cdk8s-plugin');
