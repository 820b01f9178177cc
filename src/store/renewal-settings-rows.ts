// Settings keys of the renewal settings (RenewalSettingsStore), shared by both backends.

/** The server's current renewal settings and since when (JSON). */
export const RENEWAL_SETTINGS_KEY = 'renewal-settings';

/** What one device acknowledged and what is on its way (JSON; service/management/renewal-settings.ts). */
export const renewalSettingsDeviceKey = (devicePk: string): string => `renewal-settings:device:${devicePk}`;
