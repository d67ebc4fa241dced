"""Word lists for synthetic names and streets: common Indonesian given names and place words,
combined at random. They are not records of anyone; any match with a real person is chance."""

MALE = (
    "Agus Ahmad Andi Arif Bambang Budi Dedi Dimas Eko Fajar Hadi Hendra Irfan Joko Kurniawan Lukman Muhammad "
    "Nur Rahmat Rizki Slamet Sugeng Teguh Wahyu Yusuf Zainal Aditya Bayu Dwi Gilang Hasan Ilham Jefri Reza "
    "Sigit Taufik Udin Yoga Arman Darmawan Firman Gunawan Heri Iwan Rudi Samsul Syahrul Wawan Yudi Fikri Rahmad"
).split()
FEMALE = (
    "Aisyah Ani Ayu Dewi Dian Endang Fitri Indah Intan Kartini Lestari Maya Nina Nur Putri Rina Sari Siti Sri "
    "Tuti Wati Yanti Yuni Anisa Citra Dina Eka Fatimah Hana Ika Juwita Lina Mega Novi Ratna Rini Sinta Susanti "
    "Wulan Yulia Zahra Halimah Kasmawati Rosmini Suryani Nurhayati Hasnah Jumiati Marlina"
).split()
SECOND = (
    "Saputra Pratama Wijaya Santoso Hidayat Kusuma Nugroho Setiawan Ramadhan Hakim Rahman Syahputra Lestari "
    "Wulandari Permata Sari Utami Handayani Rahayu Anggraini Maharani Safitri Kurniasih Pertiwi Daeng Baso "
    "Mappiasse Pasaribu Siregar Lubis Tanjung Manurung Sinaga Latuconsina"
).split()
STREETS = (
    "Mawar Melati Kenanga Anggrek Cempaka Flamboyan Teratai Dahlia Kamboja Seroja Mulawarman Antasari Sudirman "
    "Pattimura Manunggal Beller Prona Pelita Swadaya Inpres Transad Sepinggan Pratama Telaga Damai Indah Bukit "
    "Niaga Mekar Jaya"
).split()
