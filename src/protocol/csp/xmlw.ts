export { el, tx, opt } from '../xml-write.js';
