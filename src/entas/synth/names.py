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

# Further given names for the second (middle) name that about half of the people carry, and further
# family/second names, drawn from a stream of their own so the rest of the city does not change. A real
# city has tens of thousands of distinct names: with the lists above alone, two different people with
# the same full name and birth date were more common than real duplicates at a million members.
MIDDLE_MALE = (
    "Abdul Adi Agung Akbar Alif Amin Anang Andri Anton Ardi Arie Asep Bagus Bima Cahyo Dani Danu Dedy "
    "Denny Dimas Doni Edi Edy Fahmi Fauzi Ferry Galih Hanif Haris Harun Ikhsan Imam Indra Irwan Jaka Kevin "
    "Lutfi Mahmud Malik Nanda Nico Okta Panji Prasetyo Purnomo Putra Rafi Raka Ramli Rendy Rico Ridwan "
    "Rio Rizal Robby Rony Sandi Satria Septian Sofyan Surya Syaiful Tommy Tri Umar Wahid Wira Yanto Yudha "
    "Zaki Zulkifli Alfian Anwar Budiman Darma Erwin Fadli Hamzah Jamal Kadir Rasyid Tono"
).split()
MIDDLE_FEMALE = (
    "Adinda Afifah Alya Amalia Amelia Anggun Annisa Aprilia Ayuningtyas Bella Cahaya Dara Della Desi Devi "
    "Dinda Elisa Elok Erna Evi Fadhila Farah Febri Fitria Gita Hesti Ida Indriani Irma Jihan Kirana Laila "
    "Lia Lusi Mawar Meli Mira Nabila Nadia Nanda Nia Nining Nova Nurul Oktaviani Puspita Rahma Ratih Reni "
    "Ria Rika Rosa Salsabila Santi Septi Shinta Sofia Suci Tari Tika Tri Umi Vina Wahyuni Widya Winda Yeni "
    "Yola Zaskia Zulaikha Asih Esti Kurnia Melati Nirmala Rohana Sekar Tiara"
).split()
FAMILY = (
    "Abdullah Aditama Akbar Alamsyah Anwar Ardiansyah Arifin Aziz Budiman Darmawan Effendi Firmansyah "
    "Fitriani Gunadi Habibie Hamid Harahap Haryanto Hasibuan Hutapea Ibrahim Iskandar Junaidi Kartika "
    "Kusnadi Lubis Mahendra Marpaung Mulyadi Munthe Nainggolan Nasution Novianti Panjaitan Prasetya "
    "Purba Purnama Puspitasari Rachman Ritonga Rusdi Saleh Sembiring Setiadi Silalahi Simanjuntak Suharto "
    "Sulistyo Susanto Sutrisno Syamsuddin Tambunan Tarigan Wahyudi Wibowo Yulianti Zulkarnain Patiro "
    "Rumagit Sulaiman Pangaribuan Mokodompit Matondang Halawa Ginting"
).split()
