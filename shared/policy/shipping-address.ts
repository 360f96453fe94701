/**
 * Shipping address rules (pure): which fields a country requires and what its postal codes look
 * like. Countries not listed still ship; their postal code is only checked for length and characters.
 */
export interface ShippingAddress {
  name: string;
  line1: string;
  line2: string;
  city: string;
  region: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
  /** For the courier only; optional. */
  phone: string;
}

export type AddressField = keyof ShippingAddress;

interface CountryRule {
  name: string;
  postal: RegExp | null;
  postalExample: string;
  /** The word the country uses for its region, when a region is required. */
  region: string | null;
}

export const COUNTRY_RULES: Readonly<Record<string, CountryRule>> = {
  US: { name: 'United States', postal: /^\d{5}(-\d{4})?$/, postalExample: '94103 or 94103-1234', region: 'State' },
  CA: { name: 'Canada', postal: /^[A-Z]\d[A-Z] ?\d[A-Z]\d$/, postalExample: 'K1A 0B1', region: 'Province' },
  GB: {
    name: 'United Kingdom',
    postal: /^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$/,
    postalExample: 'SW1A 1AA',
    region: null,
  },
  IE: { name: 'Ireland', postal: /^[A-Z]\d[\dW] ?[A-Z\d]{4}$/, postalExample: 'D02 AF30', region: null },
  DE: { name: 'Germany', postal: /^\d{5}$/, postalExample: '10115', region: null },
  FR: { name: 'France', postal: /^\d{5}$/, postalExample: '75001', region: null },
  ES: { name: 'Spain', postal: /^\d{5}$/, postalExample: '28001', region: null },
  IT: { name: 'Italy', postal: /^\d{5}$/, postalExample: '00118', region: null },
  NL: { name: 'Netherlands', postal: /^\d{4} ?[A-Z]{2}$/, postalExample: '1012 AB', region: null },
  BE: { name: 'Belgium', postal: /^\d{4}$/, postalExample: '1000', region: null },
  AT: { name: 'Austria', postal: /^\d{4}$/, postalExample: '1010', region: null },
  CH: { name: 'Switzerland', postal: /^\d{4}$/, postalExample: '8001', region: null },
  SE: { name: 'Sweden', postal: /^\d{3} ?\d{2}$/, postalExample: '114 55', region: null },
  DK: { name: 'Denmark', postal: /^\d{4}$/, postalExample: '1050', region: null },
  PL: { name: 'Poland', postal: /^\d{2}-\d{3}$/, postalExample: '00-001', region: null },
  PT: { name: 'Portugal', postal: /^\d{4}-\d{3}$/, postalExample: '1000-001', region: null },
  AU: { name: 'Australia', postal: /^\d{4}$/, postalExample: '2000', region: 'State' },
  JP: { name: 'Japan', postal: /^\d{3}-?\d{4}$/, postalExample: '100-0001', region: 'Prefecture' },
};

export const MAX_ADDRESS_FIELD_CHARS = 120;
const OTHER_POSTAL = /^[A-Z0-9][A-Z0-9 -]{1,10}$/;
const COUNTRY_CODE = /^[A-Z]{2}$/;

export interface AddressProblem {
  field: AddressField;
  message: string;
}

/** Trims, upper-cases country and postal code; returns the address and every problem found. */
export function checkAddress(raw: Partial<Record<AddressField, unknown>>): {
  address: ShippingAddress;
  problems: AddressProblem[];
} {
  const text = (k: AddressField) => (typeof raw[k] === 'string' ? (raw[k] as string).trim().replace(/\s+/g, ' ') : '');
  const address: ShippingAddress = {
    name: text('name'),
    line1: text('line1'),
    line2: text('line2'),
    city: text('city'),
    region: text('region'),
    postalCode: text('postalCode').toUpperCase(),
    country: text('country').toUpperCase(),
    phone: text('phone'),
  };
  const problems: AddressProblem[] = [];
  for (const [field, value] of Object.entries(address) as Array<[AddressField, string]>) {
    if (value.length > MAX_ADDRESS_FIELD_CHARS) {
      problems.push({ field, message: `at most ${MAX_ADDRESS_FIELD_CHARS} characters` });
    }
  }
  const need = (field: AddressField, label: string) => {
    if (!address[field]) problems.push({ field, message: `${label} is required` });
  };
  need('name', 'Name');
  need('line1', 'Street and number');
  need('city', 'Town or city');
  if (!COUNTRY_CODE.test(address.country)) {
    problems.push({ field: 'country', message: 'Choose a country' });
    return { address, problems };
  }
  const rule = COUNTRY_RULES[address.country];
  if (rule?.region) need('region', rule.region);
  if (!address.postalCode) {
    problems.push({ field: 'postalCode', message: 'Postal code is required' });
  } else if (rule?.postal && !rule.postal.test(address.postalCode)) {
    problems.push({
      field: 'postalCode',
      message: `Not a postal code of ${rule.name} (for example ${rule.postalExample})`,
    });
  } else if (!rule && !OTHER_POSTAL.test(address.postalCode)) {
    problems.push({ field: 'postalCode', message: 'Postal codes have 2 to 11 letters, digits, spaces or dashes' });
  }
  if (address.phone && !/^\+?[\d ()-]{6,20}$/.test(address.phone)) {
    problems.push({ field: 'phone', message: 'Digits, spaces, + ( ) and - only' });
  }
  return { address, problems };
}
