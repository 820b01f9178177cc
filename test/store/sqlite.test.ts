// The behavioural store suite against SQLite (a fresh file per case).
import t from 'tap';
import { freshStore } from '../helpers/fresh-store.js';
import { storeSuite } from './suite.js';

storeSuite(t, { name: 'sqlite', open: () => freshStore('sqlite', 'store') });
