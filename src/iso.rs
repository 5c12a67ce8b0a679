//! ISO code tables, kept as packed two-letter strings so they cost under 1 KB of wasm.

use alloc::string::String;

/// ISO 639-1 language codes, lower case, two letters each, sorted.
const LANGUAGES: &[u8] = b"aaabaeafakamanarasavayazbabebgbhbibmbnbobrbscacechcocrcscucvcydadedvdz\
eeeleneoeseteufafffifjfofrfygagdglgngugvhahehihohrhthuhyhziaidieigiiikioisitiujajvkakgkikjkkklkmknko\
krkskukvkwkylalblglilnloltlulvmgmhmimkmlmnmrmsmtmynanbndnengnlnnnonrnvnyocojomorospapiplpsptqurmrnro\
rurwsascsdsesgsiskslsmsnsosqsrssstsusvswtatetgthtitktltntotrtstttwtyugukuruzvevivowawoxhyiyozazhzu";

/// ISO 3166-1 alpha-2 country codes, upper case, two letters each, sorted.
const COUNTRIES: &[u8] = b"ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZ\
CACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFOFRGAGBGDGEGFGGGHGIGLGMGNGP\
GQGRGSGTGUGWGYHKHMHNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLSLTLULVLYMA\
MCMDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNANCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPWPYQA\
RERORSRURWSASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZUAUGUMUSUYUZVA\
VCVEVGVIVNVUWFWSYEYTZAZMZW";

fn contains(table: &[u8], code: [u8; 2]) -> bool {
    table.chunks_exact(2).any(|pair| pair == code)
}

/// Returns the upper-case ISO 639-1 code when `code` (two letters, any case) is one.
pub fn language(code: &str) -> Option<String> {
    let lower = two_letters(code)?.map(|b| b.to_ascii_lowercase());
    contains(LANGUAGES, lower).then(|| upper(lower))
}

/// Returns the upper-case ISO 3166-1 alpha-2 code when `code` (two letters, any case) is one.
pub fn country(code: &str) -> Option<String> {
    let upper_code = two_letters(code)?.map(|b| b.to_ascii_uppercase());
    contains(COUNTRIES, upper_code).then(|| upper(upper_code))
}

fn two_letters(code: &str) -> Option<[u8; 2]> {
    match code.as_bytes() {
        [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => Some([*a, *b]),
        _ => None,
    }
}

fn upper(code: [u8; 2]) -> String {
    code.iter()
        .map(|b| char::from(b.to_ascii_uppercase()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_pairs() {
        for table in [LANGUAGES, COUNTRIES] {
            assert_eq!(table.len() % 2, 0);
            let pairs: Vec<&[u8]> = table.chunks_exact(2).collect();
            assert!(pairs.windows(2).all(|w| w[0] < w[1]), "table is not sorted");
        }
        assert_eq!(LANGUAGES.len() / 2, 184);
        assert_eq!(COUNTRIES.len() / 2, 249);
    }

    #[test]
    fn language_codes() {
        assert_eq!(language("en").as_deref(), Some("EN"));
        assert_eq!(language("Zu").as_deref(), Some("ZU"));
        assert_eq!(language("xx"), None);
        assert_eq!(language("eng"), None);
        assert_eq!(language(""), None);
    }

    #[test]
    fn country_codes() {
        assert_eq!(country("us").as_deref(), Some("US"));
        assert_eq!(country("GB").as_deref(), Some("GB"));
        assert_eq!(country("EN"), None);
        assert_eq!(country("UK"), None);
        assert_eq!(country("USA"), None);
    }
}
