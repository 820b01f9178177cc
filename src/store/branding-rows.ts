// Settings keys of the branding (BrandingStore), shared by both backends.

/** The admin's branding and help contacts (JSON). */
export const BRANDING_KEY = 'branding';

/** What one device holds of them and what is on its way (JSON; service/branding.ts). */
export const brandingDeviceKey = (devicePk: string): string => `branding:device:${devicePk}`;
