//! Fixed test keys of the identity provider (generated with openssl for
//! these tests only): three P-256 keys and one RSA key, each as its private
//! key in DER (PKCS#8 for EC, PKCS#1 for RSA, base64) and its public JWK
//! parameters.

pub const EC_A: EcKey = EcKey {
    private_der: "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgnJGnwb/SwJnp5rKCk4thTiS5mH8zyLSKXv2RRSbRJmWhRANCAAQ4kMj2KFttWxTRs75IF5+tsLBmGW8yChw/V/vhpECoQBA7Gh1MWuD1jZuy4+5h2u2+15E7+VOhwcmgdbOiYNqW",
    x: "OJDI9ihbbVsU0bO-SBefrbCwZhlvMgocP1f74aRAqEA",
    y: "EDsaHUxa4PWNm7Lj7mHa7b7XkTv5U6HByaB1s6Jg2pY",
};

pub const EC_B: EcKey = EcKey {
    private_der: "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgLoGutz2lWaTsP39Maqy8vrJXlE3WVVCN/xDV/n+7ooOhRANCAASm4UX/DN+lS5Qu40GEOXMEW3bm9CPl2qv+wxnm+Rc6LwtU1PKNUZDpI1OB5gVWpmDSkrkV6/ZJOD7w7ygaEWF1",
    x: "puFF_wzfpUuULuNBhDlzBFt25vQj5dqr_sMZ5vkXOi8",
    y: "C1TU8o1RkOkjU4HmBVamYNKSuRXr9kk4PvDvKBoRYXU",
};

pub const EC_C: EcKey = EcKey {
    private_der: "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgU0jH8+j87h+ufP+BGR5F4ucbYD7oCiVRrSXmwi+YatahRANCAAS0z2cCvSquZgN5TiHJ1KCdw/ULTJ3QauHX4PfzBQ/N3eS7OOONLbmM8u8WDjMHkayKFlhH/kzDx/LW3o4TXddf",
    x: "tM9nAr0qrmYDeU4hydSgncP1C0yd0Grh1-D38wUPzd0",
    y: "5Ls4440tuYzy7xYOMweRrIoWWEf-TMPH8tbejhNd118",
};

/// An RSA key: `private_der` joined from these lines.
pub const RSA_DER_LINES: &[&str] = &[
    "MIIEogIBAAKCAQEA4P4Il9KBSVLR0jB6YebX1pjw3Vy2Nldqg0jWJ2iZXlrSv1KCdb1rXv1ACxfvLoQ4y7FsPPNg",
    "IjCyJbCofODly2QZ3qGT5H0mOs8SnDmJzO3KH87F1D9cIZlFywzyeLT7Acn//EMFkvctxFVz/Iv7DBj3gbQk4Tcj",
    "r7Vt8Sd1YNqfIogvDJy6As3irwWbP/WOVU9G25EJWK3570501gvemu+z/znHZsHj5XQOvlG5J/YDGICBpFjXtY2u",
    "oj4H5HwMAXSEZow27VSwsx4BxUHUVzyzELvvQuxsZEAbE6p1laG9ttQbwTRqwNOscDN8oAir659QSgoRUD6tDkDA",
    "JJqDnwIDAQABAoH/EFziTGmFIstcLKdZ62e95F/ZXHfarK4CoVsab+iD+Rw7dAJm7uNaFZfAhPtnLTdijPTTWhR1",
    "DpxytWuX/zvZn73ybivwXbJV9NmvaYf47VTgNGtXpBgFhAWhorxlltrF34n7OTzZyS7htYGYv1DZ7ImjIrRwRKsD",
    "vtrnZS4XuF5xdJYADnHE6ZlOJr2Mn4iqXIjhNprW8vx58pMYElkw27sZla95gePkOQUHxeuO+CYmcamQis14LGhh",
    "3EWTAcPKRBVaiNQUn7hGS0mhNU0Yy44Il2kCS+h86a8o6+WWUq5t/vxdttRjl8TKGvgY9230HyFZcUI8GMpJF3gx",
    "YYABAoGBAPPFyqshXoRnjbtBtx+JuR1DGNMQdh/6J/9AxSArhnA1EgSOSamgdGw2JikQwL67At8EBegsPZCX9/QI",
    "TMf+YbKA7tHGy+WaM8no4R1p2hJ36HDpjZZA7UE1BlqKLAe2IetmZ6m1GVTym2wmtzNfoYJ0xVwELo+KIlKoCH4H",
    "vhjvAoGBAOxHFwAWIRty8KjcrZl2V7kCteLCMS8AauDXlgJHsBJOMUJaI4zfiTuhxqrG/ysx+L9tDnsoDp4xxhZp",
    "8wXRMOQUQu2gv1xa34wZQfCKGxAMXl0kVFeKYuHlW8C1du9Zznj/9fdsKip/DP6Ezf8i6AKi8rpl/vIihJiGFphr",
    "lWBRAoGBAIp4YP5CbzkQxX6H/qhoiAFqOrCx2heh9pRUy2TRtIUKcFisJoW3Qkqxm42aGZJ+EkxyMZTHhJUc7djt",
    "2geEpSRLft0kam/a3u4jXbRii2AQQrXYxPeDnAF9SEWn1QjwWWYo/lt1JpWNVeHiQBBrkwfSosT5DyW0FnkTP/ev",
    "GDl7AoGAD+cdAjF7Gvjaf9MSkCCp+NbY3SFK5Cn4B5gbDZ47mI/QuvGMMQAeoXfbAkWQiRy87E1vyxRAH5+kAIAz",
    "DjItQzyl4I6QMqwfHbPZf1IcTjE27Lf0QUwcKa4hRdAw6B04S2aW7IdIM0IH4t2Xa9Oyn/LNuYQB69Qs7oMf5DRh",
    "gnECgYEA0qLM7cGI7ISfXEg7FSWbnWd5dFmRIzSmEGmmDN0W0x5/oTGoGlAlB5WZj56qY52J71g3LgdXjxbRGp1C",
    "LB/G58KP6jS1uS7iQsK32aRfEv3X7bl05BrjinSNEqsqx32Hor/Ep5ali95uWWF6oUCL0EfpUlc2M/LzL5pZgNkc",
    "MUE=",
];
pub const RSA_N: &str = "4P4Il9KBSVLR0jB6YebX1pjw3Vy2Nldqg0jWJ2iZXlrSv1KCdb1rXv1ACxfvLoQ4y7FsPPNgIjCyJbCofODly2QZ3qGT5H0mOs8SnDmJzO3KH87F1D9cIZlFywzyeLT7Acn__EMFkvctxFVz_Iv7DBj3gbQk4Tcjr7Vt8Sd1YNqfIogvDJy6As3irwWbP_WOVU9G25EJWK3570501gvemu-z_znHZsHj5XQOvlG5J_YDGICBpFjXtY2uoj4H5HwMAXSEZow27VSwsx4BxUHUVzyzELvvQuxsZEAbE6p1laG9ttQbwTRqwNOscDN8oAir659QSgoRUD6tDkDAJJqDnw";
pub const RSA_E: &str = "AQAB";

pub struct EcKey {
    pub private_der: &'static str,
    pub x: &'static str,
    pub y: &'static str,
}
